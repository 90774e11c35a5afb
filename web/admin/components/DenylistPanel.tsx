import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Card, Form, Input, Space, Table, Tag, Typography } from 'antd';
import type { OperatorClient } from '@weiaibang/realname-client';
import { formatTime } from '../words.js';
import { ReasonDialog, type ReasonRequest } from './ReasonDialog.js';

type Entry = Awaited<ReturnType<OperatorClient['denylist']>>[number];

/** Numbers and accounts that may not verify. Numbers are held as blind indexes: the list never shows one. */
export function DenylistPanel({ client }: { client: OperatorClient }) {
  const [entries, setEntries] = useState<Entry[]>();
  const [error, setError] = useState<string>();
  const [notice, setNotice] = useState<string>();
  const [request, setRequest] = useState<ReasonRequest>();
  const [numberForm] = Form.useForm<{ number: string; reason: string }>();
  const [userForm] = Form.useForm<{ userId: string; reason: string }>();

  const load = useCallback(() => {
    client.denylist().then(setEntries, (e: Error) => setError(e.message));
  }, [client]);
  useEffect(load, [load]);

  const submit = async (run: () => Promise<{ changed: boolean; affectedAccounts: number }>, form: { resetFields: () => void }) => {
    setError(undefined);
    setNotice(undefined);
    try {
      const change = await run();
      setNotice(change.changed ? `已加入禁止名单,涉及 ${change.affectedAccounts} 个账号` : '已在禁止名单中');
      form.resetFields();
      load();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card title="加入禁止名单" size="small">
        <Space direction="vertical" style={{ width: '100%' }}>
          <Form form={numberForm} layout="inline" onFinish={({ number, reason }) => submit(() => client.denyIdNumber(number.trim(), reason), numberForm)}>
            <Form.Item name="number" rules={[{ required: true, message: '请输入证件号码' }]}>
              <Input placeholder="身份证号码" style={{ width: 240 }} autoComplete="off" data-testid="deny-number-input" />
            </Form.Item>
            <Form.Item name="reason" rules={[{ required: true, message: '请填写理由' }]}>
              <Input placeholder="理由" style={{ width: 280 }} data-testid="deny-number-reason" />
            </Form.Item>
            <Button danger htmlType="submit" data-testid="deny-number-submit">
              禁止该证件号
            </Button>
          </Form>
          <Form form={userForm} layout="inline" onFinish={({ userId, reason }) => submit(() => client.denyUser(userId.trim(), reason), userForm)}>
            <Form.Item name="userId" rules={[{ required: true, message: '请输入用户 ID' }]}>
              <Input placeholder="用户 ID" style={{ width: 240 }} data-testid="deny-user-input" />
            </Form.Item>
            <Form.Item name="reason" rules={[{ required: true, message: '请填写理由' }]}>
              <Input placeholder="理由" style={{ width: 280 }} data-testid="deny-user-reason" />
            </Form.Item>
            <Button danger htmlType="submit" data-testid="deny-user-submit">
              禁止该账号
            </Button>
          </Form>
          {notice && <Alert type="success" showIcon message={notice} data-testid="deny-notice" />}
          {error && <Alert type="error" showIcon message={error} data-testid="deny-error" />}
          <Typography.Text type="secondary">禁止名单只保存证件号码的加密索引,不保存号码本身;被禁止的证件号或账号无法发起认证,已认证的账号寄信校验将失败(DENIED)。</Typography.Text>
        </Space>
      </Card>
      <Card title="禁止名单" size="small">
        <Table
          size="small"
          rowKey={(e) => `${e.kind}:${e.reference}`}
          loading={!entries && !error}
          dataSource={entries}
          pagination={{ pageSize: 20, hideOnSinglePage: true }}
          data-testid="denylist-table"
          columns={[
            { title: '类型', dataIndex: 'kind', render: (k: string) => (k === 'USER' ? <Tag color="purple">账号</Tag> : <Tag color="magenta">证件号</Tag>) },
            { title: '标识', dataIndex: 'reference', render: (r: string, e) => (e.kind === 'USER' ? r : <Typography.Text code>{r}…</Typography.Text>) },
            { title: '理由', dataIndex: 'reason' },
            { title: '操作人', dataIndex: 'createdBy' },
            { title: '时间', dataIndex: 'createdAt', render: formatTime },
            {
              title: '操作',
              render: (_, e) =>
                e.kind === 'USER' ? (
                  <Button size="small" onClick={() => setRequest({ title: `解禁账号 ${e.reference}`, run: (reason) => client.allowUser(e.reference, reason) })}>
                    解禁
                  </Button>
                ) : (
                  <Typography.Text type="secondary">输入号码解禁</Typography.Text>
                ),
            },
          ]}
        />
        <Form layout="inline" style={{ marginTop: 12 }} onFinish={({ number }: { number: string }) => setRequest({ title: '解禁该证件号', run: (reason) => client.allowIdNumber(number.trim(), reason) })}>
          <Form.Item name="number" rules={[{ required: true, message: '请输入证件号码' }]}>
            <Input placeholder="要解禁的身份证号码" style={{ width: 240 }} autoComplete="off" />
          </Form.Item>
          <Button htmlType="submit">解禁证件号</Button>
        </Form>
      </Card>
      <ReasonDialog
        request={request}
        onClose={(done) => {
          setRequest(undefined);
          if (done) load();
        }}
      />
    </Space>
  );
}
