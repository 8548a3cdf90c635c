/** How hard each scenario pushes: a CI-sized run inside `make test`, the full one in `make chaos`. */
export interface ChaosSize {
  name: 'ci' | 'full';
  /** fast-check runs per API route. */
  fuzzRunsPerRoute: number;
  /** Random or truncated inputs thrown at the tunnel entry, per kind. */
  tunnelCases: number;
  /** SSH channel opens a hostile node attempts. */
  sshChannels: number;
  /** Bad requests per kind thrown at a session port. */
  sessionPortCases: number;
  /** Slowloris / half-open connections per attack. */
  slowConnections: number;
  /** Concurrent writes in the crash burst. */
  crashBurst: number;
  /** Request streams the differential framing property compares with llhttp. */
  framingRuns: number;
}

/** Bounded for CI: a couple of minutes on two cores. */
export const CI_SIZE: ChaosSize = { name: 'ci', fuzzRunsPerRoute: 12, tunnelCases: 20, sshChannels: 300, sessionPortCases: 10, slowConnections: 80, crashBurst: 40, framingRuns: 300 };

/** `make chaos`. */
export const FULL_SIZE: ChaosSize = { name: 'full', fuzzRunsPerRoute: 150, tunnelCases: 200, sshChannels: 3000, sessionPortCases: 100, slowConnections: 400, crashBurst: 300, framingRuns: 20_000 };

/** The fixed fast-check seed; a failing property prints it with the counterexample. */
export const FUZZ_SEED = 1010;

/**
 * Server settings of a chaos stack: the product defaults, with the limits lowered so a
 * bounded run reaches them.
 */
export const CHAOS_SERVER_CONFIG = {
  maxConnectionsPerIp: 60,
  maxSessionConnectionsPerIp: 40,
  headersTimeoutMs: 2_000,
  sessionHeadersTimeoutMs: 2_000,
  tunnelAuthTimeoutMs: 3_000,
  maxChannelsPerNode: 100,
  maxServicesPerNode: 8,
};
