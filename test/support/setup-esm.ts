// Decorator metadata must exist before any Nest module is evaluated.
import 'reflect-metadata';
