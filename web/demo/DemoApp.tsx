import { useEffect, useState } from 'react';
import { createRealnameClient, type RealnameClient } from '@weiaibang/realname-client';
import { ChooseUser } from './components/ChooseUser.js';
import { Notice } from './components/Notice.js';
import { VerificationFlow } from './VerificationFlow.js';
import { devSignIn } from './sign-in.js';

/** `/demo?user=<id>`: signs in as that development user, then walks through a verification. */
export function DemoApp() {
  const userId = new URLSearchParams(location.search).get('user');
  return (
    <main className="page">
      <header className="masthead">
        <h1>实名认证</h1>
        <p>微爱帮 · 寄信前请先确认您的身份</p>
      </header>
      {userId ? <SignedIn userId={userId} /> : <ChooseUser />}
    </main>
  );
}

function SignedIn({ userId }: { userId: string }) {
  const [client, setClient] = useState<RealnameClient>();
  const [failure, setFailure] = useState<string>();
  useEffect(() => {
    let created: RealnameClient | undefined;
    let gone = false;
    devSignIn(userId).then(
      (token) => {
        if (gone) return;
        created = createRealnameClient({ url: '/graphql', token });
        setClient(created);
      },
      (error: Error) => setFailure(error.message),
    );
    return () => {
      gone = true;
      void created?.close();
    };
  }, [userId]);

  if (failure) return <Notice tone="error" title="无法登录" text={failure} action={{ label: '重新加载', onClick: () => location.reload() }} />;
  if (!client) return <Notice tone="info" title="正在登录…" />;
  return <VerificationFlow client={client} userId={userId} />;
}
