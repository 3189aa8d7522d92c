import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { BatonConfig, OutboundHttp, sendMail } from '@baton/common';
import { WEBHOOK_HEADERS, signWebhook } from '@baton/webhooks';
import { SystemModeService } from '../mode/system-mode.service.js';

const WEBHOOK_ATTEMPTS = 4;

/**
 * Tells people when the hub needs them: by e-mail over BATON_ALERT_SMTP_URL to the operator
 * (BATON_OPERATOR_EMAIL) and the backup contact (BATON_BACKUP_CONTACT), and as a signed POST
 * to BATON_ALERT_WEBHOOK_URL (Baton's webhook signature, so receivers verify it the same way).
 * Every alert is also a system event (`system.alert`), so the API shows it whatever the channel.
 */
@Injectable()
export class AlertService {
  private readonly logger = new Logger('Alerts');

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(SystemModeService) private readonly mode: SystemModeService,
    @Inject(OutboundHttp) private readonly outbound: OutboundHttp,
  ) {}

  /** Never throws: a failed channel is logged and recorded, the caller's decision stands. */
  async alert(subject: string, text: string): Promise<void> {
    this.logger.warn(`ALERT ${subject}`);
    const [email, webhook] = await Promise.all([this.email(subject, text), this.webhook(subject, text)]);
    await this.mode.record('system.alert', { subject, text, ...email, ...webhook });
  }

  private async email(subject: string, text: string): Promise<{ emailedTo: string[]; emailError?: string }> {
    const to = [this.config.operatorEmail, this.config.backupContact].filter((a): a is string => !!a && a.includes('@'));
    if (!this.config.alertSmtpUrl || to.length === 0) return { emailedTo: [] };
    try {
      await sendMail(this.config.alertSmtpUrl, { from: this.config.alertFrom, to, subject: `[Baton] ${subject}`, text });
      return { emailedTo: to };
    } catch (error) {
      this.logger.error(`alert e-mail failed: ${(error as Error).message}`);
      return { emailedTo: [], emailError: (error as Error).message };
    }
  }

  /**
   * A few attempts with a doubling pause. Alerts are not kept in the webhook outbox (they
   * belong to no run); the `system.alert` event is their durable record.
   */
  private async webhook(subject: string, text: string): Promise<{ webhookDelivered?: boolean; webhookError?: string }> {
    const url = this.config.alertWebhookUrl;
    const secret = this.config.alertWebhookSecret;
    if (!url || !secret) return {};
    const createdAt = new Date().toISOString();
    const body = JSON.stringify({
      event: { type: 'system.alert', runId: null, seq: 0, stepKey: null, data: { subject, text, instanceId: this.config.instanceId }, createdAt },
    });
    const deliveryId = randomUUID();
    let lastError = '';
    for (let attempt = 1; attempt <= WEBHOOK_ATTEMPTS; attempt++) {
      const timestamp = Math.floor(Date.now() / 1000);
      try {
        const response = await this.outbound.fetch(url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [WEBHOOK_HEADERS.event]: 'system.alert',
            [WEBHOOK_HEADERS.delivery]: deliveryId,
            [WEBHOOK_HEADERS.timestamp]: String(timestamp),
            [WEBHOOK_HEADERS.signature]: signWebhook(secret, timestamp, body),
          },
          body,
          signal: AbortSignal.timeout(10_000),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return { webhookDelivered: true };
        lastError = `answered ${response.status}`;
      } catch (error) {
        lastError = (error as Error).message;
      }
      if (attempt < WEBHOOK_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, 250 * 2 ** (attempt - 1)));
    }
    this.logger.error(`alert webhook failed after ${WEBHOOK_ATTEMPTS} attempts: ${lastError}`);
    return { webhookDelivered: false, webhookError: lastError };
  }
}
