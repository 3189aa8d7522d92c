import { Inject, Injectable, Logger } from '@nestjs/common';
import { BatonConfig, sendMail } from '@baton/common';
import { SystemModeService } from '../mode/system-mode.service.js';

/**
 * Tells people when the hub needs them: by e-mail over BATON_ALERT_SMTP_URL to the operator
 * (BATON_OPERATOR_EMAIL) and the backup contact (BATON_BACKUP_CONTACT). Every alert is also
 * a system event (`system.alert`), so the API and the dashboard show it whatever the channel.
 */
@Injectable()
export class AlertService {
  private readonly logger = new Logger('Alerts');

  constructor(
    @Inject(BatonConfig) private readonly config: BatonConfig,
    @Inject(SystemModeService) private readonly mode: SystemModeService,
  ) {}

  /** Never throws: a failed channel is logged and recorded, the caller's decision stands. */
  async alert(subject: string, text: string): Promise<void> {
    const to = [this.config.operatorEmail, this.config.backupContact].filter((a): a is string => !!a && a.includes('@'));
    let delivered: string[] = [];
    let error: string | null = null;
    if (this.config.alertSmtpUrl && to.length > 0) {
      try {
        await sendMail(this.config.alertSmtpUrl, { from: this.config.alertFrom, to, subject: `[Baton] ${subject}`, text });
        delivered = to;
      } catch (failure) {
        error = (failure as Error).message;
        this.logger.error(`alert e-mail failed: ${error}`);
      }
    }
    this.logger.warn(`ALERT ${subject}`);
    await this.mode.record('system.alert', { subject, text, emailedTo: delivered, error });
  }
}
