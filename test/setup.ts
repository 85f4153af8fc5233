import nock from 'nock';

// Tests never reach the internet: only the local stubs and servers they start themselves.
nock.disableNetConnect();
nock.enableNetConnect((host: string) => /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host));
