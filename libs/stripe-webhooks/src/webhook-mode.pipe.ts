import { Injectable, type PipeTransform } from '@nestjs/common';
import type { StripeMode } from '#libs/config';
import { Issue, RequestValidationException } from '#libs/http-errors';

const MODES: readonly StripeMode[] = ['test', 'live'];

/** The `mode` path segment: exactly `test` or `live`, else Pydantic's 422 `literal_error`. */
@Injectable()
export class WebhookModePipe implements PipeTransform<unknown, StripeMode> {
  transform(raw: unknown): StripeMode {
    if (MODES.includes(raw as StripeMode)) return raw as StripeMode;
    throw RequestValidationException.at(['path', 'mode'], Issue.literalError(MODES));
  }
}
