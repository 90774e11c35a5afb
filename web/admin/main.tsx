import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App, ConfigProvider } from 'antd';
import zhCN from 'antd/locale/zh_CN';
import { AdminApp } from './AdminApp.js';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ConfigProvider locale={zhCN} theme={{ token: { fontSize: 14, borderRadius: 4 } }}>
      <App>
        <AdminApp />
      </App>
    </ConfigProvider>
  </StrictMode>,
);
