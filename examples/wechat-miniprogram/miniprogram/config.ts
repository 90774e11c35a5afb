/** Where the service answers; its host must be a configured request and socket domain of the mini-program. */
export const REALNAME_URL = 'https://realname.example.com/graphql';
