import { Controller, Get, Header } from '@nestjs/common';
import { BATON_VERSION } from './openapi.js';
import { landingPage } from './landing-page.js';

/** `GET /`: a small HTML page with links to the API reference, the probes and the dashboard. */
@Controller()
export class LandingController {
  private readonly html = landingPage(BATON_VERSION);

  @Get()
  @Header('content-type', 'text/html; charset=utf-8')
  index(): string {
    return this.html;
  }
}
