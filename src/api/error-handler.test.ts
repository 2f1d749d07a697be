import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VigilError } from '../errors.ts';
import { classifyError, errorBody, validationError } from './error-handler.ts';

describe('classifyError', () => {
  it('keeps a VigilError code', () => {
    assert.deepEqual(classifyError(new VigilError('VIGIL_ERR_CSRF', 'x')), { code: 'VIGIL_ERR_CSRF' });
  });

  it('maps fastify body errors to catalogue codes', () => {
    const fe = (code: string, statusCode: number) => Object.assign(new Error('x'), { code, statusCode });
    assert.equal(classifyError(fe('FST_ERR_CTP_BODY_TOO_LARGE', 413)).code, 'VIGIL_ERR_BODY_TOO_LARGE');
    assert.equal(classifyError(fe('FST_ERR_CTP_INVALID_JSON_BODY', 400)).code, 'VIGIL_ERR_MALFORMED_BODY');
    assert.equal(classifyError(fe('FST_ERR_CTP_EMPTY_JSON_BODY', 400)).code, 'VIGIL_ERR_MALFORMED_BODY');
    assert.equal(
      classifyError(fe('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415)).code,
      'VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE',
    );
    assert.equal(classifyError(fe('FST_ERR_SOMETHING', 400)).code, 'VIGIL_ERR_BAD_REQUEST');
  });

  it('turns anything unexpected into a 500 without its message', () => {
    assert.deepEqual(classifyError(new TypeError('secret internals')), { code: 'VIGIL_ERR_INTERNAL' });
    assert.deepEqual(classifyError('a string'), { code: 'VIGIL_ERR_INTERNAL' });
    assert.deepEqual(errorBody('VIGIL_ERR_INTERNAL'), {
      error: { code: 'VIGIL_ERR_INTERNAL', message: 'internal error' },
    });
  });

  it('reports a validation failure by its dotted path', () => {
    const err = Object.assign(new Error('bad'), {
      validation: [{ instancePath: '/samples/0/temp_c', message: 'got "hunter2"' }],
      validationContext: 'body',
    });
    assert.deepEqual(classifyError(err), { code: 'VIGIL_ERR_VALIDATION', path: 'body.samples.0.temp_c' });
    assert.deepEqual(classifyError(validationError('querystring', 'to')), {
      code: 'VIGIL_ERR_VALIDATION',
      path: 'query.to',
    });
  });
});
