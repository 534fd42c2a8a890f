/** The built-in rules, one per file, in id order. Module-internal: the public way in is `RulePack.builtIn()`. */
import { GS001 } from './gs001-prestop-sleep-exceeds-grace';
import { GS002 } from './gs002-istio-drain-not-below-grace';
import { GS003 } from './gs003-istio-sidecar-exits-before-app-wait';
import { GS004 } from './gs004-exit-on-zero-unbounded';
import { GS005 } from './gs005-service-without-prestop-wait';
import { GS006 } from './gs006-readiness-file-wait-too-short';
import { GS007 } from './gs007-nginx-quit-without-wait';
import { GS008 } from './gs008-fixed-drain-after-healthcheck-fail';
import { GS009 } from './gs009-stats-unreachable-read-as-zero';
import { GS010 } from './gs010-poll-loop-exceeds-grace';
import { GS011 } from './gs011-bashism-in-sh-hook';
import { GS012 } from './gs012-feature-needs-newer-kubernetes';
import { GS013 } from './gs013-tcpsocket-lifecycle-hook';
import { GS014 } from './gs014-grace-below-annotated-plan';
import { GS015 } from './gs015-unreadable-shutdown-setting';
import { GS016 } from './gs016-drain-flag-exceeds-grace';
import { BuiltInRule } from './rule';

/** The built-in rules, in id order. */
export const BUILT_IN_RULES: BuiltInRule[] = [
  GS001, GS002, GS003, GS004, GS005, GS006, GS007, GS008, GS009, GS010, GS011, GS012, GS013, GS014, GS015, GS016,
];
