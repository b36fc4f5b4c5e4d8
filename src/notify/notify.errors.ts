// Errors of the callback dispatcher.

export class DispatcherConfigError extends Error {
  readonly code = 'NotifyConfigInvalid';
  constructor(readonly problems: readonly string[]) {
    super(`invalid callback dispatcher settings: ${problems.join('; ')}`);
    this.name = 'DispatcherConfigError';
  }
}

export class DispatcherStateError extends Error {
  readonly code = 'NotifyDispatcherState';
  constructor(message: string) {
    super(message);
    this.name = 'DispatcherStateError';
  }
}
