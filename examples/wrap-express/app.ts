// The whole Express app as one PAGI app: no line of it changes.
import { fromExpress } from 'pagi';
import { createExpressApp } from './express-app.js';

export const app = fromExpress(createExpressApp());
