// Option parsers shared by several verbs.
export const collectSets = (value: string, previous: string[]) => [...previous, value];
