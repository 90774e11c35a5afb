import { useState } from 'react';
import { Alert, Button, Card, Form, Input, List, Space } from 'antd';
import type { OperatorClient } from '@weiaibang/realname-client';
import { UserDetail } from './UserDetail.js';

/** Find a user by account id, or the accounts holding an ID number; then their whole picture. */
export function UserLookup({ client }: { client: OperatorClient }) {
  const [userId, setUserId] = useState<string>();
  const [accounts, setAccounts] = useState<string[]>();
  const [error, setError] = useState<string>();
  return (
    <Space direction="vertical" size="large" style={{ width: '100%' }}>
      <Card size="small">
        <Space wrap size="large" align="start">
          <Form layout="inline" onFinish={({ id }: { id: string }) => setUserId(id.trim())}>
            <Form.Item name="id" rules={[{ required: true, message: '请输入用户 ID' }]}>
              <Input placeholder="用户 ID" style={{ width: 240 }} data-testid="admin-user-id" allowClear />
            </Form.Item>
            <Button type="primary" htmlType="submit" data-testid="admin-user-search">
              查询用户
            </Button>
          </Form>
          <Form
            layout="inline"
            onFinish={async ({ number, reason }: { number: string; reason: string }) => {
              setError(undefined);
              try {
                setAccounts(await client.findAccountsByIdNumber(number.trim(), reason));
              } catch (e) {
                setError((e as Error).message);
              }
            }}
          >
            <Form.Item name="number" rules={[{ required: true, message: '请输入证件号码' }]}>
              <Input placeholder="身份证号码" style={{ width: 220 }} data-testid="admin-find-number" autoComplete="off" />
            </Form.Item>
            <Form.Item name="reason" rules={[{ required: true, message: '请填写理由' }]}>
              <Input placeholder="查询理由" style={{ width: 180 }} data-testid="admin-find-reason" />
            </Form.Item>
            <Button htmlType="submit" data-testid="admin-find-submit">
              按证件号查账号
            </Button>
          </Form>
        </Space>
        {error && <Alert type="error" showIcon message={error} style={{ marginTop: 12 }} />}
        {accounts && (
          <List
            size="small"
            style={{ marginTop: 12 }}
            header="持有该证件号的账号"
            locale={{ emptyText: '没有账号绑定或使用过该证件号' }}
            dataSource={accounts}
            renderItem={(id) => (
              <List.Item actions={[<a key="open" onClick={() => setUserId(id)}>查看</a>]}>{id}</List.Item>
            )}
            data-testid="admin-find-results"
          />
        )}
      </Card>
      {userId && <UserDetail key={userId} client={client} userId={userId} />}
    </Space>
  );
}
