/** Where the service answers; its host must be on the mini-program's server domain list. */
export const REALNAME_URL = 'https://realname.example.com/graphql';
