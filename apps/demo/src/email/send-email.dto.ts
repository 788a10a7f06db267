import { IsEmail, IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';

/** Payload of a `send-email` job. `enqueue` validates it, so a bad address never reaches a worker. */
export class SendEmailDto {
  @IsEmail()
  to!: string;

  @IsString()
  @MaxLength(200)
  subject!: string;

  @IsOptional()
  @IsString()
  body?: string;

  /** Demo only: the first `failTimes` attempts throw, to show retries and dead-lettering. */
  @IsOptional()
  @IsInt()
  @Min(0)
  failTimes?: number;
}
