// Public entry point of `pagi/toolkit`: request and response helpers and a router over the protocol.

// ---- errors
export { HttpError, BodyAlreadyRead, InvalidCookie } from './errors.js';
export type { HttpErrorOptions } from './errors.js';

// ---- request helpers
export { header, headers, query, cookies, clientAddress, HeaderView } from './request.js';
export type { HeaderSource } from './request.js';

// ---- body readers
export { readBytes, readText, readJson, readForm } from './body-readers.js';
export type { BodyOptions, JsonOptions, FormOptions, BodyScopeInput } from './body-readers.js';
export type { BodyReceive, BodyScope } from './body-stream.js';
export { readMultipart } from './multipart.js';
export type { MultipartPart, MultipartField, MultipartFile, MultipartOptions } from './multipart.js';

// ---- response helpers
export { sendJson, sendText, sendHtml, sendBody, redirect, setCookie } from './response.js';
export type { ResponseSend, ResponseHeaders, CookieOptions } from './response.js';
export { sendFile } from './send-file.js';
export type { SendFileOptions, FileRequest } from './send-file.js';

// ---- router
export { router, PARAMS_KEY } from './router.js';
export type {
  Router,
  RouterOptions,
  HttpContext,
  SSEContext,
  WebSocketContext,
  HttpHandler,
  SSEHandler,
  WebSocketHandler,
} from './router.js';
export type { ParamsOf, PatternOptions } from './route-pattern.js';
export { SSEStream } from './sse-stream.js';
export type { SSEMessage, SSEStartOptions } from './sse-stream.js';
export { WebSocketConnection } from './websocket.js';
export type { WebSocketAcceptOptions, WebSocketClose } from './websocket.js';

// ---- errors as responses
export { handleErrors, renderTextError } from './error-response.js';
export type { ErrorOptions, ErrorLogger, ErrorRenderer } from './error-response.js';
