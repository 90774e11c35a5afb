import { useEffect, useState } from 'react';
import type { ConnectionState, RealnameClient } from '@weiaibang/realname-client';

const WORDS: Partial<Record<ConnectionState, string>> = {
  reconnecting: '网络连接已断开,正在重新连接…结果不会丢失。',
  polling: '实时连接不可用,正在定期查询认证结果。',
};

export function ConnectionBanner({ client }: { client: RealnameClient }) {
  const [state, setState] = useState(client.connection);
  useEffect(() => {
    setState(client.connection);
    return client.onConnection(setState);
  }, [client]);
  const words = WORDS[state];
  return words ? (
    <p className="banner" role="status" data-testid="demo-connection" data-state={state}>
      {words}
    </p>
  ) : null;
}
