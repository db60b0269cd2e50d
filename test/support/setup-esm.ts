// The CommonJS @nestjs/throttler require()s the ESM @nestjs/common; Jest's linker fails on
// that cycle unless the ESM packages are loaded first.
import '@nestjs/common';
import '@nestjs/core';
import 'reflect-metadata';
