import { useState } from 'react';

/** Outside production only: pick the development user to sign in as. */
export function ChooseUser() {
  const [userId, setUserId] = useState('demo-user');
  return (
    <form className="card" action="/demo" method="get">
      <h2>演示登录</h2>
      <p className="hint">这是开发环境的演示页面。输入一个用户编号即可登录(仅限字母、数字、下划线和连字符)。</p>
      <label className="field">
        <span>用户编号</span>
        <input name="user" value={userId} onChange={(e) => setUserId(e.target.value)} pattern="[\w-]{1,64}" required autoComplete="off" />
      </label>
      <button className="button primary" type="submit">
        进入演示
      </button>
    </form>
  );
}
