import { useState } from 'react';
import { Alert, Button, Card, Divider, Form, Input, Typography } from 'antd';
import { devSignIn } from '../session.js';

/**
 * In production the platform's SSO issues the operator's token (scope realname:admin), pasted here or
 * handed over by the SSO page; the embedded mode offers a development sign-in by operator id.
 */
export function SignIn({ onSignedIn }: { onSignedIn: (token: string) => void }) {
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const run = async (get: () => Promise<string>) => {
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await get());
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div style={{ display: 'grid', placeItems: 'center', minHeight: '100vh', background: '#f0f2f5' }}>
      <Card title="实名认证运营后台 · 登录" style={{ width: 420 }}>
        {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 16 }} data-testid="admin-sign-in-error" />}
        <Form layout="vertical" onFinish={({ operatorId }: { operatorId: string }) => run(() => devSignIn(operatorId.trim()))}>
          <Form.Item label="运营账号(开发环境)" name="operatorId" rules={[{ required: true, message: '请输入运营账号' }]}>
            <Input placeholder="例如 op-alice" data-testid="admin-operator-id" autoFocus />
          </Form.Item>
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="admin-sign-in">
            登录
          </Button>
        </Form>
        <Divider plain>或</Divider>
        <Form layout="vertical" onFinish={({ token }: { token: string }) => run(async () => token.trim().replace(/^Bearer\s+/i, ''))}>
          <Form.Item label="统一登录签发的令牌" name="token" rules={[{ required: true, message: '请粘贴令牌' }]}>
            <Input.Password placeholder="realname:admin 令牌" data-testid="admin-token" />
          </Form.Item>
          <Button htmlType="submit" block>
            使用令牌登录
          </Button>
        </Form>
        <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0 }}>
          所有查看和操作都会连同操作理由记入审计日志,并在用户导出个人信息时可见。
        </Typography.Paragraph>
      </Card>
    </div>
  );
}
