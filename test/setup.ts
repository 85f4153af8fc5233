import nock from 'nock';

// Tests never reach the internet: only the local stubs and servers they start themselves.
nock.disableNetConnect();
nock.enableNetConnect((host: string) => /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host));

// Each test file loads nock afresh, and each load wraps Node's shared http module once more.
// Unwrapped after every file, a long run keeps one layer instead of one per file before it;
// dozens of layers deep, a connection reset on an idle keep-alive socket went unheard and
// ended the whole run.
afterAll(() => nock.restore());
