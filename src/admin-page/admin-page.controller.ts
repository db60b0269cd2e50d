import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../common/public.decorator.js';
import { AdminPageAssets } from './admin-page-assets.js';

/**
 * The operator page: static files, public because the page itself signs in (every call it makes goes through the
 * admin-only JSON API with the admin's token). Not an API route, so not in Swagger.
 */
@ApiExcludeController()
@Public()
@Controller('admin')
export class AdminPageController {
  constructor(private readonly assets: AdminPageAssets) {}

  @Get()
  page(@Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Buffer | undefined {
    return this.assets.sendPage(request, reply);
  }

  @Get('assets/:name')
  asset(@Param('name') name: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Buffer | undefined {
    return this.assets.sendAsset(name, request, reply);
  }
}
