import { useCallback, useEffect, useMemo, useState } from 'react';
import { Alert, Button, Card, Col, Row, Segmented, Space, Statistic } from 'antd';
import type { OperatorClient, VerificationStatsQuery } from '@weiaibang/realname-client';
import { failureLabel, formatAge, VERIFICATION_STATUS } from '../words.js';
import { EChart, type ChartOption } from './EChart.js';

type Bucket = VerificationStatsQuery['verificationStats']['buckets'][number];
const RANGES = {
  day: { label: '近 24 小时', hours: 24, interval: 'HOUR' },
  week: { label: '近 7 天', hours: 24 * 7, interval: 'DAY' },
  month: { label: '近 30 天', hours: 24 * 30, interval: 'DAY' },
} as const;
type Range = keyof typeof RANGES;
const RESULT_COLORS: Record<string, string> = { VERIFIED: '#52c41a', FAILED: '#ff4d4f', EXPIRED: '#faad14', CANCELED: '#bfbfbf' };

const countOf = (list: { key: string; count: number }[], key: string) => list.find((x) => x.key === key)?.count ?? 0;

/** The numbers at a glance: volume and results, time to result, failure reasons, the review queue. */
export function Dashboard({ client }: { client: OperatorClient }) {
  const [range, setRange] = useState<Range>('day');
  const [buckets, setBuckets] = useState<Bucket[]>();
  const [error, setError] = useState<string>();
  const load = useCallback(() => {
    const { hours, interval } = RANGES[range];
    const to = new Date();
    setError(undefined);
    client.verificationStats(new Date(to.getTime() - hours * 3_600_000), to, interval).then(
      (stats) => setBuckets(stats.buckets),
      (e: Error) => setError(e.message),
    );
  }, [client, range]);
  useEffect(load, [load]);

  const charts = useMemo(() => (buckets ? chartsOf(buckets, RANGES[range].interval) : undefined), [buckets, range]);
  const totals = useMemo(() => {
    if (!buckets) return undefined;
    const sum = (pick: (b: Bucket) => number) => buckets.reduce((n, b) => n + pick(b), 0);
    const verified = sum((b) => countOf(b.byStatus, 'VERIFIED'));
    const ended = sum((b) => b.byStatus.reduce((n, s) => n + s.count, 0));
    const last = buckets.at(-1);
    return { starts: sum((b) => b.starts), verified, passRate: ended ? (verified / ended) * 100 : null, providerErrors: sum((b) => b.providerErrors), open: last?.openReviewCases ?? 0, oldest: last?.oldestOpenCaseAgeSeconds ?? null };
  }, [buckets]);

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Space>
        <Segmented value={range} onChange={(v) => setRange(v as Range)} options={Object.entries(RANGES).map(([value, { label }]) => ({ value, label }))} />
        <Button onClick={load}>刷新</Button>
      </Space>
      {error && <Alert type="error" showIcon message="无法读取统计数据" description={error} />}
      {totals && (
        <Row gutter={16}>
          <Col span={4}><Card size="small"><Statistic title="发起认证" value={totals.starts} data-testid="dashboard-starts" /></Card></Col>
          <Col span={4}><Card size="small"><Statistic title="认证通过" value={totals.verified} /></Card></Col>
          <Col span={4}><Card size="small"><Statistic title="通过率" value={totals.passRate ?? '—'} precision={1} suffix={totals.passRate === null ? '' : '%'} /></Card></Col>
          <Col span={4}><Card size="small"><Statistic title="服务商错误" value={totals.providerErrors} /></Card></Col>
          <Col span={4}><Card size="small"><Statistic title="待审核" value={totals.open} data-testid="dashboard-open-cases" /></Card></Col>
          <Col span={4}><Card size="small"><Statistic title="最久等待" value={formatAge(totals.oldest)} /></Card></Col>
        </Row>
      )}
      {charts && (
        <Row gutter={[16, 16]}>
          <Col xs={24} xl={12}><Card title="认证量与结果" size="small"><EChart option={charts.volume} testId="dashboard-chart-volume" /></Card></Col>
          <Col xs={24} xl={12}><Card title="从发起到结果的耗时(秒)" size="small"><EChart option={charts.durations} testId="dashboard-chart-durations" /></Card></Col>
          <Col xs={24} xl={12}><Card title="未通过原因" size="small"><EChart option={charts.failures} testId="dashboard-chart-failures" /></Card></Col>
          <Col xs={24} xl={12}><Card title="人工审核队列" size="small"><EChart option={charts.queue} testId="dashboard-chart-queue" /></Card></Col>
        </Row>
      )}
    </Space>
  );
}

function chartsOf(buckets: Bucket[], interval: 'HOUR' | 'DAY'): Record<'volume' | 'durations' | 'failures' | 'queue', ChartOption> {
  const labels = buckets.map((b) => {
    const at = new Date(b.start);
    return interval === 'HOUR' ? `${at.getHours()}时` : `${at.getMonth() + 1}/${at.getDate()}`;
  });
  const grid = { left: 48, right: 16, top: 40, bottom: 32 };
  const failureTotals = new Map<string, number>();
  for (const b of buckets) for (const f of b.byFailureCode) failureTotals.set(f.key, (failureTotals.get(f.key) ?? 0) + f.count);
  return {
    volume: {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid,
      xAxis: { type: 'category', data: labels },
      yAxis: { type: 'value', minInterval: 1 },
      series: [
        { name: '发起', type: 'line', data: buckets.map((b) => b.starts), smooth: true },
        ...Object.keys(RESULT_COLORS).map((status) => ({
          name: VERIFICATION_STATUS[status]!.label,
          type: 'bar',
          stack: 'result',
          color: RESULT_COLORS[status],
          data: buckets.map((b) => countOf(b.byStatus, status)),
        })),
      ],
    },
    durations: {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid,
      xAxis: { type: 'category', data: labels },
      yAxis: { type: 'value' },
      series: [
        { name: '中位数', type: 'line', data: buckets.map((b) => b.medianSeconds), connectNulls: true },
        { name: 'P90', type: 'line', data: buckets.map((b) => b.p90Seconds), connectNulls: true },
      ],
    },
    failures: {
      tooltip: { trigger: 'item' },
      legend: { type: 'scroll', orient: 'vertical', right: 0, top: 'middle' },
      series: [
        {
          name: '未通过原因',
          type: 'pie',
          radius: ['40%', '70%'],
          center: ['35%', '50%'],
          data: [...failureTotals].map(([code, value]) => ({ name: failureLabel(code), value })),
        },
      ],
    },
    queue: {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { ...grid, right: 48 },
      xAxis: { type: 'category', data: labels },
      yAxis: [
        { type: 'value', name: '件', minInterval: 1 },
        { type: 'value', name: '小时' },
      ],
      series: [
        { name: '待审核', type: 'bar', data: buckets.map((b) => b.openReviewCases) },
        { name: '最久等待(小时)', type: 'line', yAxisIndex: 1, data: buckets.map((b) => (b.oldestOpenCaseAgeSeconds === null ? null : Math.round(b.oldestOpenCaseAgeSeconds / 360) / 10)) },
      ],
    },
  };
}
