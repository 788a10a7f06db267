import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { ASSETS } from '../views/assets/assets.js';

const BY_FILE = new Map(Object.values(ASSETS).map((asset) => [asset.file, asset]));

/**
 * The stylesheet and script, content-hashed and cacheable for good. Not behind the access
 * guard: they hold nothing but our own code, and the "access denied" page needs them too.
 */
@Controller('assets')
export class DashboardAssetsController {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  @Get(':file')
  @Header('Cache-Control', 'public, max-age=31536000, immutable')
  serve(@Param('file') file: string, @Res({ passthrough: true }) response: unknown): string {
    const asset = BY_FILE.get(file);
    if (!asset) throw new NotFoundException();
    this.adapterHost.httpAdapter.setHeader(response, 'Content-Type', asset.contentType);
    return asset.body;
  }
}
