/**
 * A fake app with Spring Cloud Commons' service-registry actuator endpoint: `POST
 * /actuator/service-registry` with a JSON body `{"status": "..."}` sets the registration's status
 * (https://docs.spring.io/spring-cloud-commons/reference/spring-cloud-commons/common-abstractions.html,
 * "Service Registry Actuator Endpoint"). `onOffline` plays the app's registry client leaving.
 */
import { FakeServer } from './fake-server';

export class FakeApp {
  public static async start(onOffline: (status: string) => void = () => undefined): Promise<FakeApp> {
    const a = new FakeApp();
    a.server = await FakeServer.start('app', req => {
      if (req.method === 'POST' && req.path === '/actuator/service-registry') {
        return {
          route: 'service-registry',
          reply: () => {
            let status: string;
            try {
              status = JSON.parse(req.body).status;
            } catch {
              return { status: 400, body: 'bad json' };
            }
            onOffline(status);
            return { status: 200, body: '' };
          },
        };
      }
      return undefined;
    });
    return a;
  }

  public server!: FakeServer;
}
