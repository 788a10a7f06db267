import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import type { JobRecord } from '@dataqueue/nestjs';
import type { Signup } from './signup.entity.js';
import { SignupsService } from './signups.service.js';

@Controller('signups')
export class SignupsController {
  constructor(private readonly signups: SignupsService) {}

  /** `POST /signups {"email": "…"}`; add `?fail=1` to roll the transaction back after the enqueue. */
  @Post()
  create(@Body() body: { email?: string }, @Query('fail') fail?: string): Promise<{ signup: Signup; job: JobRecord }> {
    // The email is validated by `enqueue` (SendEmailDto): an invalid one is a 400 and rolls back.
    return this.signups.signUp(String(body?.email ?? ''), fail === '1' || fail === 'true');
  }

  @Get()
  list(): Promise<Signup[]> {
    return this.signups.list();
  }
}
