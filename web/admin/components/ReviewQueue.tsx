import { useCallback, useEffect, useState } from 'react';
import { Alert, Button, Card, Empty, Segmented, Space, Table, Tag, Typography } from 'antd';
import type { OperatorClient, ReviewCasesQuery, ReviewStatus } from '@weiaibang/realname-client';
import { documentLabel, failureLabel, formatAge, formatTime, REVIEW_STATUS, VERIFICATION_STATUS } from '../words.js';
import { ReasonDialog, type ReasonRequest } from './ReasonDialog.js';

type Case = ReviewCasesQuery['reviewCases']['edges'][number]['node'];
const PAGE = 20;

/** The manual review queue, oldest first, with the decide dialogs. */
export function ReviewQueue({ client }: { client: OperatorClient }) {
  const [status, setStatus] = useState<ReviewStatus>('OPEN');
  const [cases, setCases] = useState<Case[]>();
  const [total, setTotal] = useState(0);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string>();
  const [request, setRequest] = useState<ReasonRequest>();

  const load = useCallback(
    async (after: string | null = null) => {
      setError(undefined);
      try {
        const page = await client.reviewCases({ status, first: PAGE, after });
        const nodes = page.edges.map((e) => e.node);
        setCases((earlier) => (after ? [...(earlier ?? []), ...nodes] : nodes));
        setTotal(page.totalCount);
        setNext(page.pageInfo.hasNextPage ? page.pageInfo.endCursor : null);
      } catch (e) {
        setError((e as Error).message);
      }
    },
    [client, status],
  );
  useEffect(() => {
    setCases(undefined);
    void load();
  }, [load]);

  const decide = (c: Case, decision: 'APPROVE' | 'REJECT') =>
    setRequest({
      title: decision === 'APPROVE' ? `批准用户 ${c.userId} 的人工审核` : `驳回用户 ${c.userId} 的人工审核`,
      description:
        decision === 'APPROVE'
          ? c.approvalsRequired > 1 && c.approvedBy.length === 0
            ? '需两名审核员批准:您的批准将被记录,等待另一名审核员复核。'
            : '批准后该用户的身份将以“人工审核”方式认证通过。'
          : '驳回后该用户本次审核结束,可重新发起认证。',
      okText: decision === 'APPROVE' ? '批准' : '驳回',
      danger: decision === 'REJECT',
      run: (reason) => client.decideReview(c.id, decision, reason),
    });

  return (
    <Card
      title={
        <Space>
          审核队列
          <Typography.Text type="secondary" data-testid="review-total">
            共 {total} 件
          </Typography.Text>
        </Space>
      }
      extra={
        <Space>
          <Segmented
            value={status}
            onChange={(v) => setStatus(v as ReviewStatus)}
            options={(['OPEN', 'APPROVED', 'REJECTED', 'WITHDRAWN'] as const).map((s) => ({ value: s, label: REVIEW_STATUS[s]!.label }))}
          />
          <Button onClick={() => void load()} data-testid="review-refresh">
            刷新
          </Button>
        </Space>
      }
    >
      {error && <Alert type="error" showIcon message={error} style={{ marginBottom: 12 }} />}
      <Table
        size="middle"
        rowKey="id"
        loading={!cases && !error}
        dataSource={cases}
        pagination={false}
        locale={{ emptyText: <Empty description={status === 'OPEN' ? '没有待审核的申请' : '没有记录'} /> }}
        onRow={(c) => ({ 'data-testid': `review-row-${c.userId}` }) as object}
        expandable={{
          expandedRowRender: (c) => (
            <Table
              size="small"
              rowKey="id"
              pagination={false}
              dataSource={c.attempts}
              columns={[
                { title: '发起时间', dataIndex: 'createdAt', render: formatTime },
                { title: '结果', dataIndex: 'status', render: (s: string) => VERIFICATION_STATUS[s]?.label ?? s },
                { title: '失败原因', render: (_, a) => (a.failureReason ? failureLabel(a.failureReason.code) : '—') },
                { title: '证件类型', render: (_, a) => documentLabel(a) },
                { title: '证件号码', dataIndex: 'maskedIdCardNumber', render: (v: string | null) => v ?? '—' },
              ]}
            />
          ),
        }}
        columns={[
          { title: '申请时间', dataIndex: 'createdAt', render: formatTime },
          { title: '等待', render: (_, c) => formatAge((Date.now() - new Date(c.createdAt).getTime()) / 1000) },
          { title: '用户', dataIndex: 'userId' },
          { title: '姓名', render: (_, c) => c.verification.maskedName ?? '—' },
          {
            title: '证件',
            render: (_, c) => (
              <Space direction="vertical" size={0} data-testid="review-document">
                <span>{documentLabel(c.verification)}</span>
                {/* One token: an 18-character number never breaks across lines. */}
                <Typography.Text type="secondary" style={{ whiteSpace: 'nowrap' }}>
                  {c.verification.maskedIdCardNumber ?? '—'}
                </Typography.Text>
              </Space>
            ),
          },
          // A document review had no automatic attempt: it says why a person decides instead.
          { title: '申请原因', render: (_, c) => <Tag color={c.failedVerification ? undefined : 'blue'}>{c.failedVerification ? failureLabel(c.failure.code) : '其他证件人工审核'}</Tag> },
          { title: '用户说明', dataIndex: 'note', ellipsis: true, render: (n: string | null) => n ?? '—' },
          {
            title: '状态',
            render: (_, c) => (
              <Space direction="vertical" size={0}>
                <Tag color={REVIEW_STATUS[c.status]?.color}>{REVIEW_STATUS[c.status]?.label}</Tag>
                {c.approvedBy.length > 0 && c.status === 'OPEN' && (
                  <Typography.Text type="secondary">
                    已批准 {c.approvedBy.length}/{c.approvalsRequired}
                  </Typography.Text>
                )}
              </Space>
            ),
          },
          {
            title: '操作',
            render: (_, c) =>
              c.status === 'OPEN' ? (
                <Space>
                  <Button type="primary" size="small" onClick={() => decide(c, 'APPROVE')} data-testid="review-approve">
                    批准
                  </Button>
                  <Button danger size="small" onClick={() => decide(c, 'REJECT')} data-testid="review-reject">
                    驳回
                  </Button>
                </Space>
              ) : (
                <Typography.Text type="secondary">{c.decisionReason ?? ''}</Typography.Text>
              ),
          },
        ]}
      />
      {next && (
        <Button style={{ marginTop: 12 }} onClick={() => void load(next)} block>
          加载更多
        </Button>
      )}
      <ReasonDialog
        request={request}
        onClose={(done) => {
          setRequest(undefined);
          if (done) void load();
        }}
      />
    </Card>
  );
}
