/**
 * Channel settings as the admin gives them (stored as `channel` documents; credentials apart,
 * sealed under the master key). Every provider connection uses TLS (1.2 at least), verified
 * against the system's roots plus an optional extra CA (`caPem`, for a private mail relay).
 */
import { z } from 'zod';
import { httpsUrl } from '../notification-model.ts';

const caPem = z
  .string()
  .max(20_000)
  .regex(/-----BEGIN CERTIFICATE-----/, 'a PEM certificate')
  .optional();

/** E-mail over SMTP: STARTTLS (RFC 3207, port 587) or implicit TLS (RFC 8314, port 465); never plain. */
export const emailSettingsSchema = z.strictObject({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  security: z.enum(['starttls', 'tls']),
  /** SMTP AUTH user; the password is a sealed credential. */
  user: z.string().max(254).optional(),
  from: z.string().min(3).max(320),
  caPem,
});
export type EmailSettings = z.infer<typeof emailSettingsSchema>;

/**
 * A provider's HTTPS API for SMS and voice. `twilio` fills in the Twilio REST API's paths, form
 * encoding, Basic auth (account id and token) and field names; `custom` takes them as given.
 */
export const providerApiSchema = z.strictObject({
  smsPath: z
    .string()
    .regex(/^\/[^\s]*$/)
    .max(300),
  voicePath: z
    .string()
    .regex(/^\/[^\s]*$/)
    .max(300),
  encoding: z.enum(['form', 'json']),
  auth: z.enum(['basic', 'bearer']),
  fields: z.strictObject({
    to: z.string().min(1).max(40),
    from: z.string().min(1).max(40),
    text: z.string().min(1).max(40),
    /** The voice request's field; for TwiML providers it carries `<Response><Say>…</Say></Response>`. */
    voice: z.string().min(1).max(40),
  }),
  /** The voice field holds TwiML (Twilio) rather than plain text. */
  voiceTwiml: z.boolean(),
  /** The response field that identifies the message (`sid`). */
  idField: z.string().min(1).max(40),
});
export type ProviderApi = z.infer<typeof providerApiSchema>;

/** The Twilio REST API (2010-04-01): Messages and Calls resources of an account. */
export const TWILIO_API: ProviderApi = {
  smsPath: '/2010-04-01/Accounts/{account}/Messages.json',
  voicePath: '/2010-04-01/Accounts/{account}/Calls.json',
  encoding: 'form',
  auth: 'basic',
  fields: { to: 'To', from: 'From', text: 'Body', voice: 'Twiml' },
  voiceTwiml: true,
  idField: 'sid',
};

export const smsSettingsSchema = z.strictObject({
  preset: z.enum(['twilio', 'custom']),
  /** Default for `twilio`: https://api.twilio.com. */
  baseUrl: httpsUrl.optional(),
  /** Account id (Twilio Account SID), substituted for `{account}` and the Basic auth user. */
  accountId: z.string().max(100).optional(),
  /** Sender number (E.164) or sender id. */
  from: z.string().min(1).max(40),
  /** Only for `custom`. */
  api: providerApiSchema.optional(),
  caPem,
});
export type SmsSettings = z.infer<typeof smsSettingsSchema>;

export const webhookSettingsSchema = z.strictObject({ caPem });
export type WebhookSettings = z.infer<typeof webhookSettingsSchema>;

/** Web Push (RFC 8030) with VAPID (RFC 8292): the subject is how a push service reaches the operator. */
export const pushSettingsSchema = z.strictObject({
  subject: z.string().regex(/^(mailto:[^\s]+@[^\s]+|https:\/\/[^\s]+)$/, 'mailto: address or https URL'),
  caPem,
});
export type PushSettings = z.infer<typeof pushSettingsSchema>;

/** The settings document of each channel (`voice` shares the SMS provider's). */
export const CHANNEL_SETTINGS = {
  email: emailSettingsSchema,
  sms: smsSettingsSchema,
  webhook: webhookSettingsSchema,
  push: pushSettingsSchema,
} as const;
export type SettingsChannel = keyof typeof CHANNEL_SETTINGS;

/** Names of the sealed credentials. */
export const SECRET_NAMES = {
  emailPassword: 'email.password',
  smsToken: 'sms.token',
  vapidPrivateKey: 'push.vapid-private-key',
  vapidPublicKey: 'push.vapid-public-key',
  webhook: (contactId: string) => `webhook:${contactId}`,
} as const;
