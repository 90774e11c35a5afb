import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { describe, expect, it } from 'vitest';
import { redactSpan, scrubPath } from '../../src/telemetry/span-redaction.js';

const span = (attributes: ReadableSpan['attributes'], extra: Partial<ReadableSpan> = {}) =>
  ({
    name: 'GET',
    kind: SpanKind.SERVER,
    spanContext: () => ({ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: 1 }),
    startTime: [0, 0],
    endTime: [0, 1],
    status: { code: SpanStatusCode.UNSET },
    attributes,
    links: [],
    events: [],
    duration: [0, 1],
    ended: true,
    resource: {} as ReadableSpan['resource'],
    instrumentationScope: { name: 'test' },
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
    ...extra,
  }) as ReadableSpan;

describe('span redaction', () => {
  describe(scrubPath.name, () => {
    it('drops the query string and fragment', () => {
      expect(scrubPath('/callbacks/aliyun?callbackToken=abc&certifyId=sha1234#x')).toBe('/callbacks/aliyun');
    });

    it('replaces id-like segments and keeps words and asset names', () => {
      expect(scrubPath('/certify/0123456789abcdef0123456789abcdef')).toBe('/certify/:id');
      expect(scrubPath('/face-captures/3f2b7c1e-8d4a-4f7e-9c1a-2b3c4d5e6f70/photo')).toBe('/face-captures/:id/photo');
      expect(scrubPath('/assets/index-DdX3kL9a.js')).toBe('/assets/index-DdX3kL9a.js');
      expect(scrubPath('/callbacks/aliyun')).toBe('/callbacks/aliyun');
    });
  });

  describe(redactSpan.name, () => {
    it('keeps only the listed attributes and our own, with URLs scrubbed', () => {
      const redacted = redactSpan(
        span({
          'http.request.method': 'GET',
          'url.path': '/callbacks/aliyun',
          'url.query': 'callbackToken=secret',
          'url.full': 'https://user:pw@cloudauth.aliyuncs.com/?CertName=%E5%BC%A0%E4%B8%89&CertNo=110101',
          'client.address': '203.0.113.9',
          'user_agent.original': 'WeiAiBang/1.0',
          'http.request.header.authorization': ['Bearer x'],
          'graphql.variables.input': '{"realName":"张三"}',
          'realname.verification_id': 'v-1',
        }),
      );
      expect(redacted.attributes).toEqual({
        'http.request.method': 'GET',
        'url.path': '/callbacks/aliyun',
        'url.full': 'https://cloudauth.aliyuncs.com/',
        'realname.verification_id': 'v-1',
      });
      expect(redacted.spanContext().spanId).toBe('b7ad6b7169203331');
    });

    it('keeps an error status without its message, and exception events with their type alone', () => {
      const redacted = redactSpan(
        span({}, {
          status: { code: SpanStatusCode.ERROR, message: 'duplicate key 110101199003077777' },
          events: [{ name: 'exception', time: [0, 0], attributes: { 'exception.type': 'PostgresError', 'exception.message': '张三', 'exception.stacktrace': 'Error: 张三\n at x' } }],
        }),
      );
      expect(redacted.status).toEqual({ code: SpanStatusCode.ERROR });
      expect(redacted.events).toEqual([{ name: 'exception', time: [0, 0], droppedAttributesCount: 0, attributes: { 'exception.type': 'PostgresError' } }]);
    });
  });
});
