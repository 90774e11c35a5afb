import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Card, Descriptions, Empty, Space, Spin, Table, Tag, Timeline, Typography } from 'antd';
import type { AdminUserQuery, OperatorClient } from '@weiaibang/realname-client';
import { actionLabel, AUTH_STATUS, documentLabel, failureLabel, formatTime, MODE, REVIEW_STATUS, VERIFICATION_STATUS } from '../words.js';
import { ReasonDialog, type ReasonRequest } from './ReasonDialog.js';

type View = AdminUserQuery['adminUser'];
type Revealed = { realName: string; idCardNumber: string };

/** One user as support sees them: status, masked identity, attempts, cases and a timeline of the audit trail. */
export function UserDetail({ client, userId }: { client: OperatorClient; userId: string }) {
  const [view, setView] = useState<View>();
  const [error, setError] = useState<string>();
  const [request, setRequest] = useState<ReasonRequest>();
  const [revealed, setRevealed] = useState<Revealed>();
  const load = useCallback(() => {
    setError(undefined);
    client.adminUser(userId, { first: 100 }).then(setView, (e: Error) => setError(e.message));
  }, [client, userId]);
  useEffect(load, [load]);

  if (error) return <Alert type="error" showIcon message="无法读取该用户" description={error} action={<Button onClick={load}>重试</Button>} />;
  if (!view) return <Spin tip="正在读取…"><div style={{ height: 120 }} /></Spin>;
  const status = AUTH_STATUS[view.status.status] ?? { label: view.status.status, color: 'default' };
  const act = (title: string, run: (reason: string) => Promise<unknown>, danger = false) => () => setRequest({ title, run, danger });

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Card
        title={`用户 ${view.userId}`}
        extra={
          <Space wrap>
            <Button onClick={act('查看完整身份信息', async (r) => setRevealed(await client.revealIdentity(userId, r)))} data-testid="admin-reveal">
              查看完整身份
            </Button>
            <Button disabled={view.status.status !== 'LOCKED'} onClick={act('解除锁定', (r) => client.unlockUser(userId, r))} data-testid="admin-unlock">
              解除锁定
            </Button>
            <Button danger disabled={!['VERIFIED', 'EXPIRED'].includes(view.status.status) && !view.denied} onClick={act('解除身份绑定(身份被冒用)', (r) => client.releaseIdentity(userId, r), true)} data-testid="admin-release">
              解除身份绑定
            </Button>
            {view.denied ? (
              <Button onClick={act('解禁该账号', (r) => client.allowUser(userId, r))} data-testid="admin-allow-user">
                解禁账号
              </Button>
            ) : (
              <Button danger onClick={act('禁止该账号认证', (r) => client.denyUser(userId, r), true)} data-testid="admin-deny-user">
                禁止账号
              </Button>
            )}
            <Button onClick={load}>刷新</Button>
          </Space>
        }
      >
        <Descriptions column={{ xs: 1, md: 2, xl: 3 }} size="small" bordered>
          <Descriptions.Item label="认证状态">
            <Tag color={status.color} data-testid="admin-user-status" data-status={view.status.status}>
              {status.label}
            </Tag>
          </Descriptions.Item>
          <Descriptions.Item label="有效期至">{formatTime(view.status.expiresAt)}</Descriptions.Item>
          <Descriptions.Item label="锁定至">{formatTime(view.lockedUntil)}</Descriptions.Item>
          <Descriptions.Item label="姓名">{view.maskedName ?? '—'}</Descriptions.Item>
          <Descriptions.Item label="证件号码">{view.maskedIdCardNumber ?? '—'}</Descriptions.Item>
          <Descriptions.Item label="禁止原因">{view.deniedReason ?? '—'}</Descriptions.Item>
        </Descriptions>
        {revealed && (
          <Alert
            style={{ marginTop: 12 }}
            type="warning"
            showIcon
            closable
            onClose={() => setRevealed(undefined)}
            message="完整身份信息(已记入审计日志,请勿外传)"
            description={`${revealed.realName} · ${revealed.idCardNumber}`}
            data-testid="admin-revealed"
          />
        )}
      </Card>

      <Card title="认证记录" size="small">
        <Table
          size="small"
          rowKey="id"
          pagination={false}
          dataSource={view.attempts}
          locale={{ emptyText: <Empty description="没有认证记录" /> }}
          columns={[
            { title: '发起时间', dataIndex: 'createdAt', render: formatTime },
            { title: '方式', dataIndex: 'mode', render: (m: string) => MODE[m] ?? m },
            { title: '结果', dataIndex: 'status', render: (s: string) => <Tag color={VERIFICATION_STATUS[s]?.color}>{VERIFICATION_STATUS[s]?.label ?? s}</Tag> },
            { title: '失败原因', render: (_, a) => (a.failureReason ? `${failureLabel(a.failureReason.code)}(${a.failureReason.code})` : '—') },
            { title: 'SubCode', dataIndex: 'providerSubCode', render: (c: string | null) => c ?? '—' },
            { title: '姓名', dataIndex: 'maskedName', render: (v: string | null) => v ?? '—' },
            { title: '证件类型', render: (_, a) => documentLabel(a) },
            { title: '证件号码', dataIndex: 'maskedIdCardNumber', render: (v: string | null) => v ?? '—' },
            { title: '完成时间', dataIndex: 'completedAt', render: formatTime },
          ]}
        />
      </Card>

      {view.cases.length > 0 && (
        <Card title="人工审核" size="small">
          <Table
            size="small"
            rowKey="id"
            pagination={false}
            dataSource={view.cases}
            columns={[
              { title: '申请时间', dataIndex: 'createdAt', render: formatTime },
              { title: '失败原因', render: (_, c) => failureLabel(c.failure.code) },
              { title: '用户说明', dataIndex: 'note', render: (n: string | null) => n ?? '—' },
              { title: '状态', dataIndex: 'status', render: (s: string) => <Tag color={REVIEW_STATUS[s]?.color}>{REVIEW_STATUS[s]?.label ?? s}</Tag> },
              { title: '处理人', dataIndex: 'decidedBy', render: (v: string | null) => v ?? '—' },
              { title: '处理理由', dataIndex: 'decisionReason', render: (v: string | null) => v ?? '—' },
            ]}
          />
        </Card>
      )}

      <Card title="时间线(审计日志,最新在前)" size="small">
        <Timeline
          data-testid="admin-timeline"
          items={view.auditTrail.events.map((e) => {
            const detail = e.detail;
            return {
              color: e.actor.startsWith('operator:') ? 'orange' : e.action.endsWith('failed') ? 'red' : e.action.endsWith('verified') ? 'green' : 'blue',
              children: (
                <>
                  <Typography.Text strong>{actionLabel(e.action)}</Typography.Text>{' '}
                  <Typography.Text type="secondary">
                    {formatTime(e.at)} · {e.actor}
                  </Typography.Text>
                  {typeof detail.reason === 'string' && <div>理由:{detail.reason}</div>}
                  {typeof detail.failureCode === 'string' && <div>原因:{failureLabel(detail.failureCode)}</div>}
                </>
              ),
            };
          })}
        />
        {view.auditTrail.hasNextPage && <Typography.Text type="secondary">仅显示最近 100 条</Typography.Text>}
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
