import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsIn,
  isIn,
  IsObject,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  maxLength,
  MinLength,
  minLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import {
  Issue,
  IsPresent,
  IsRedirectUrl,
  IsStorableText,
  isStorableText,
  issue,
  REDIRECT_URL_MAX_LENGTH,
  redirectUrlProblem,
  type AcceptsCommonBodies,
} from '#libs/http-errors';

/** Locales Stripe's Customer Portal can be shown in (`auto`: the customer's or browser's). */
export const PORTAL_LOCALES = [
  'auto',
  'bg',
  'cs',
  'da',
  'de',
  'el',
  'en',
  'en-AU',
  'en-CA',
  'en-GB',
  'en-IE',
  'en-IN',
  'en-NZ',
  'en-SG',
  'es',
  'es-419',
  'et',
  'fi',
  'fil',
  'fr',
  'fr-CA',
  'hr',
  'hu',
  'id',
  'it',
  'ja',
  'ko',
  'lt',
  'lv',
  'ms',
  'mt',
  'nb',
  'nl',
  'pl',
  'pt',
  'pt-BR',
  'ro',
  'ru',
  'sk',
  'sl',
  'sv',
  'th',
  'tr',
  'vi',
  'zh',
  'zh-HK',
  'zh-TW',
] as const;

export const PORTAL_FLOW_TYPES = ['payment_method_update', 'subscription_cancel', 'subscription_update'] as const;
export type PortalFlowType = (typeof PORTAL_FLOW_TYPES)[number];

// class-validator runs a property's rules bottom-up and reports the first failure: presence is listed last.

/** A Stripe portal deep link: open the portal directly on one task. */
export class PortalFlow {
  @ApiProperty({
    enum: PORTAL_FLOW_TYPES,
    description: 'Which task the portal opens on.',
    example: 'subscription_cancel',
  })
  @IsIn(PORTAL_FLOW_TYPES, issue(Issue.literalError(PORTAL_FLOW_TYPES)))
  @IsPresent()
  type: PortalFlowType;

  @ApiPropertyOptional({
    description: 'The Stripe subscription id; required for subscription_cancel and subscription_update.',
    example: 'sub_1QAbCdEfGhIjKlMn',
    pattern: '^sub_[A-Za-z0-9]+$',
  })
  @ValidateIf((flow: PortalFlow) => flow.type === 'subscription_cancel' || flow.type === 'subscription_update')
  @Matches(
    /^sub_[A-Za-z0-9]{1,250}$/,
    issue(Issue.valueError('subscription must be a Stripe subscription id (sub_...)')),
  )
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsPresent()
  subscription?: string;
}

/** Request to create a customer portal session. */
export class CustomerPortalRequest {
  /**
   * `{"return_url": ...}` with an optional `locale`, valid by the same rules as the decorators below: the body of
   * nearly every call, built without class-validator (see AcceptsCommonBodies). Anything else, `flow` included, is
   * left to class-validator.
   */
  static acceptCommonBody(body: object): CustomerPortalRequest | undefined {
    const keys = Object.keys(body);
    if (keys.length > 2 || !keys.every((key) => key === 'return_url' || key === 'locale')) return undefined;
    const { return_url: returnUrl, locale } = body as Partial<Record<'return_url' | 'locale', unknown>>;
    if (typeof returnUrl !== 'string' || !minLength(returnUrl, 1) || !maxLength(returnUrl, REDIRECT_URL_MAX_LENGTH)) {
      return undefined;
    }
    if (!isStorableText(returnUrl) || redirectUrlProblem(returnUrl, 'return_url') !== undefined) return undefined;
    if (keys.length === 2 && !isIn(locale, PORTAL_LOCALES)) return undefined;
    return Object.assign(new CustomerPortalRequest(), body);
  }

  @ApiProperty({
    description:
      'Absolute http(s) URL the user returns to after leaving the portal (no credentials, at most 2048 characters).',
    minLength: 1,
    maxLength: REDIRECT_URL_MAX_LENGTH,
    example: 'https://myapp.com/account/billing',
    title: 'Return Url',
  })
  @IsRedirectUrl('return_url')
  @MaxLength(REDIRECT_URL_MAX_LENGTH, issue(Issue.stringTooLong(REDIRECT_URL_MAX_LENGTH)))
  @MinLength(1, issue(Issue.stringTooShort(1)))
  @IsStorableText()
  @IsString(issue(Issue.stringType))
  @IsPresent()
  return_url: string;

  @ApiPropertyOptional({
    enum: PORTAL_LOCALES,
    description: "Extension: the language the portal is shown in (default: the customer's or browser's).",
    example: 'auto',
  })
  @IsIn(PORTAL_LOCALES, issue(Issue.literalError(PORTAL_LOCALES)))
  @IsOptional()
  locale?: (typeof PORTAL_LOCALES)[number];

  @ApiPropertyOptional({
    type: PortalFlow,
    description: 'Extension: open the portal on one task (update payment method, cancel or update a subscription).',
  })
  @ValidateNested()
  @Type(() => PortalFlow)
  @IsObject(issue(Issue.modelAttributesType))
  @IsOptional()
  flow?: PortalFlow;
}

CustomerPortalRequest satisfies AcceptsCommonBodies<CustomerPortalRequest>;

/** Customer portal session response. */
export class CustomerPortalResponse {
  @ApiProperty({
    description:
      'URL of the Stripe Customer Portal session: redirect the user there. A login link: do not log or store it.',
    example: 'https://billing.stripe.com/p/session/test_YWNjdF8xQUJDMTIzZG',
    title: 'Portal Url',
  })
  portal_url: string;
}
