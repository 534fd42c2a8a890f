import { Duration } from 'cdk8s';
import { GracefulEnvoyGatewayProps } from '../../src';

/** A Gloo gateway-proxy as run in the field: ssh and http listeners, a drain of up to a day. */
export const FIELD: GracefulEnvoyGatewayProps = {
  image: 'quay.io/solo-io/gloo-envoy-wrapper:1.17.0',
  args: ['--disable-hot-restart'],
  listeners: [
    { name: 'ssh', port: 2222, address: '::' },
    { name: 'http', port: 8080 },
  ],
  maxDrain: Duration.days(1),
};
