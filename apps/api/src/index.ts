export { createApp, YAML_CONTENT_TYPES } from './create-app.js';
export { AppModule, type AppOptions } from './app.module.js';
