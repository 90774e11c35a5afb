import { useMemo, useState } from 'react';
import { Button, Layout, Menu, Space, Typography } from 'antd';
import { createOperatorClient } from '@weiaibang/realname-client';
import { Dashboard } from './components/Dashboard.js';
import { DenylistPanel } from './components/DenylistPanel.js';
import { ReviewQueue } from './components/ReviewQueue.js';
import { SignIn } from './components/SignIn.js';
import { UserLookup } from './components/UserLookup.js';
import { forgetToken, operatorOf, storedToken, storeToken } from './session.js';

const SCREENS = {
  users: { label: '用户查询', render: UserLookup },
  reviews: { label: '审核队列', render: ReviewQueue },
  denylist: { label: '禁止名单', render: DenylistPanel },
  dashboard: { label: '数据看板', render: Dashboard },
} as const;
type Screen = keyof typeof SCREENS;

/** `/admin`: the operators' console. Every call goes through the typed client with the operator's token. */
export function AdminApp() {
  const [token, setToken] = useState(storedToken);
  const [screen, setScreen] = useState<Screen>('users');
  const client = useMemo(() => (token ? createOperatorClient({ url: new URL('/graphql', location.href).href, token }) : undefined), [token]);

  if (!token || !client) {
    return (
      <SignIn
        onSignedIn={(t) => {
          storeToken(t);
          setToken(t);
        }}
      />
    );
  }
  const Current = SCREENS[screen].render;
  return (
    <Layout style={{ minHeight: '100vh' }}>
      <Layout.Header style={{ display: 'flex', alignItems: 'center', gap: 24, paddingInline: 24 }}>
        <Typography.Title level={4} style={{ color: '#fff', margin: 0, whiteSpace: 'nowrap' }}>
          实名认证运营后台
        </Typography.Title>
        <Menu
          theme="dark"
          mode="horizontal"
          selectedKeys={[screen]}
          onClick={({ key }) => setScreen(key as Screen)}
          items={Object.entries(SCREENS).map(([key, { label }]) => ({ key, label, 'data-testid': `nav-${key}` }))}
          style={{ flex: 1, minWidth: 0 }}
        />
        <Space>
          <Typography.Text style={{ color: '#fff' }} data-testid="admin-operator">
            {operatorOf(token)}
          </Typography.Text>
          <Button
            size="small"
            data-testid="admin-sign-out"
            onClick={() => {
              forgetToken();
              setToken(null);
            }}
          >
            退出
          </Button>
        </Space>
      </Layout.Header>
      <Layout.Content style={{ padding: 24, maxWidth: 1400, width: '100%', margin: '0 auto' }}>
        <Current client={client} />
      </Layout.Content>
    </Layout>
  );
}
