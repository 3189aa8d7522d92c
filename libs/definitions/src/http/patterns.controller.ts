import { Body, Controller, Get, HttpStatus, Inject, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { PatternLibraryService } from '../patterns/pattern-library.service.js';
import type { PatternDescription } from '../patterns/pattern-catalog.js';

/** The pattern library: built-in patterns and custom ones (docs/patterns.md). */
@Controller('api/v1/patterns')
export class PatternsController {
  constructor(@Inject(PatternLibraryService) private readonly library: PatternLibraryService) {}

  @Get()
  async list(): Promise<{ patterns: PatternDescription[] }> {
    return { patterns: await this.library.list() };
  }

  /** The same listing, under the name the design uses. */
  @Get('available')
  async available(): Promise<{ patterns: PatternDescription[] }> {
    return this.list();
  }

  /** 201 when the version was registered, 200 when an identical one already was. */
  @Post()
  async register(@Body() body: unknown, @Res({ passthrough: true }) response: Response): Promise<PatternDescription> {
    const { pattern, created } = await this.library.register(body);
    response.status(created ? HttpStatus.CREATED : HttpStatus.OK);
    return pattern;
  }
}
