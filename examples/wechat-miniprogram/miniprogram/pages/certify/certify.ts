Page({
  data: { url: '' },
  onLoad(query: Record<string, string | undefined>) {
    this.setData({ url: decodeURIComponent(query.url ?? '') });
  },
});
