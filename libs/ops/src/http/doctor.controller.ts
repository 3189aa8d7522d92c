import { Controller, Get, HttpCode, HttpStatus, Inject, Post } from '@nestjs/common';
import { CurrentPrincipal, principalLabel, type Principal } from '@baton/identity';
import { DoctorService, type DoctorReport, type RepairReport } from '../doctor/doctor.service.js';

/**
 * The stuck-work doctor (issue 16) at `/api/v1/doctor`; `/api/v1/system/doctor` is the same
 * (where it was first served, kept for scripts and the watchdog of earlier versions).
 */
@Controller()
export class DoctorController {
  constructor(@Inject(DoctorService) private readonly doctor: DoctorService) {}

  @Get(['api/v1/doctor', 'api/v1/system/doctor'])
  check(): Promise<DoctorReport> {
    return this.doctor.check();
  }

  @Post(['api/v1/doctor/fix', 'api/v1/system/doctor/fix'])
  @HttpCode(HttpStatus.OK)
  fix(@CurrentPrincipal() who: Principal): Promise<RepairReport> {
    return this.doctor.fix(principalLabel(who));
  }
}
