import { useState } from 'react';
import { Input, Modal, Typography, type ButtonProps } from 'antd';

export interface ReasonRequest {
  title: string;
  /** What will happen, in a sentence. */
  description?: string;
  okText?: string;
  danger?: boolean;
  run: (reason: string) => Promise<unknown>;
}

/** Every operator action asks why: the reason goes into the audit chain and the user's export. */
export function ReasonDialog({ request, onClose }: { request: ReasonRequest | undefined; onClose: (done: boolean) => void }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const close = (done: boolean) => {
    setReason('');
    setError(undefined);
    onClose(done);
  };
  return (
    <Modal
      open={Boolean(request)}
      title={request?.title}
      okText={request?.okText ?? '确定'}
      cancelText="取消"
      okButtonProps={{ danger: request?.danger, disabled: reason.trim() === '', loading: busy, 'data-testid': 'reason-confirm' } as ButtonProps}
      onCancel={() => close(false)}
      onOk={async () => {
        if (!request) return;
        setBusy(true);
        setError(undefined);
        try {
          await request.run(reason.trim());
          close(true);
        } catch (e) {
          setError((e as Error).message);
        } finally {
          setBusy(false);
        }
      }}
      destroyOnHidden
    >
      {request?.description && <Typography.Paragraph>{request.description}</Typography.Paragraph>}
      <Input.TextArea
        rows={3}
        maxLength={500}
        showCount
        placeholder="操作理由(必填,将记入审计日志,请勿填写证件号码)"
        value={reason}
        onChange={(e) => setReason(e.target.value)}
        data-testid="reason-input"
      />
      {error && (
        <Typography.Text type="danger" data-testid="reason-error">
          {error}
        </Typography.Text>
      )}
    </Modal>
  );
}
