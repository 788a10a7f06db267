import { IsBoolean, IsInt, IsOptional, Min } from 'class-validator';

/** Payload of a `render-page` job. */
export class RenderPageDto {
  @IsInt()
  @Min(1)
  page!: number;

  /** Demo only: the page fails (for good, after 2 attempts) until someone retries it. */
  @IsOptional()
  @IsBoolean()
  failUntilRetried?: boolean;
}
