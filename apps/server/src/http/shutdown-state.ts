/** Set when a graceful shutdown begins, so readiness fails and load balancers stop sending traffic. */
export class ShutdownState {
  draining = false;
}
