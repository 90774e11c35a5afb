import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import 'graphiql/style.css';
import { createClient } from 'graphql-ws';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { devSignIn } from '../demo/sign-in.js';

// Served by the service outside production: everything GraphiQL needs is in this bundle, no CDN.
// Signs in as `?user=<id>` (default `graphiql-user`) through the demo's development sign-in.
const DEFAULT_QUERY = `# 以开发用户登录:/graphiql?user=<id>
query Status {
  consentTerms { version }
  userAuthStatus { status isValid daysRemaining maskedName latestVerification { id status } }
}

# 订阅结果:先推送当前状态,再推送每次变化
# subscription Watch($id: ID!) { verificationResult(id: $id) { id status failureReason { code message } } }
`;

const root = createRoot(document.getElementById('root')!);
const userId = new URLSearchParams(location.search).get('user') ?? 'graphiql-user';

devSignIn(userId).then(
  (token) => {
    const url = new URL('/graphql', location.href).href;
    const authorization = `Bearer ${token}`;
    const fetcher = createGraphiQLFetcher({
      url,
      headers: { authorization },
      wsClient: createClient({ url: url.replace(/^http/, 'ws'), connectionParams: { authorization } }),
    });
    root.render(
      <StrictMode>
        <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
      </StrictMode>,
    );
  },
  (error: Error) => {
    root.render(<p style={{ padding: 24, fontSize: 18 }}>无法登录:{error.message}</p>);
  },
);
