/** A catalog: plain nested objects of message strings, so branches merge without conflicts. */
export interface Messages {
  readonly [key: string]: string | Messages;
}
