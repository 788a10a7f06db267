import { Injectable, InternalServerErrorException } from '@nestjs/common';
import { QueueService } from '@dataqueue/nestjs';
import type { JobRecord } from '@dataqueue/nestjs';
import { DataSource } from 'typeorm';
import { SEND_EMAIL } from '../email/send-email.handler.js';
import { Signup } from './signup.entity.js';

/** Transactional enqueue: the signup row and its welcome email commit together or not at all. */
@Injectable()
export class SignupsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly queue: QueueService,
  ) {}

  /** With `failAfterEnqueue`, throws once both are written, so the rollback discards both. */
  signUp(email: string, failAfterEnqueue: boolean): Promise<{ signup: Signup; job: JobRecord }> {
    return this.dataSource.transaction(async (manager) => {
      const signup = await manager.save(manager.create(Signup, { email }));
      // `manager` puts the INSERT into this transaction; workers are woken only on commit.
      const job = await this.queue.enqueue(
        SEND_EMAIL,
        { to: email, subject: 'Welcome!', body: `You are signup #${signup.id}.` },
        { manager, tags: ['welcome'] },
      );
      if (failAfterEnqueue) {
        throw new InternalServerErrorException(
          `simulated failure after saving signup ${signup.id} and enqueueing job ${job.id}: ` +
            'the transaction rolled back, so neither exists',
        );
      }
      return { signup, job };
    });
  }

  list(): Promise<Signup[]> {
    return this.dataSource.getRepository(Signup).find({ order: { id: 'DESC' }, take: 20 });
  }
}
