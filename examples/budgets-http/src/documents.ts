/** Texts the demo sends to `POST /summarize`, and the summaries its fake model answers with. */

export const INCIDENT_REPORT =
  'Incident report, 14 May. At 09:12 UTC the checkout service began returning errors for about ' +
  'four percent of requests. The on-call engineer traced the errors to a connection pool that had ' +
  'been sized for the old database cluster and was exhausted under the morning peak. Traffic was ' +
  'shifted to the standby region at 09:31 while the pool size was raised and the service was ' +
  'redeployed. Error rates returned to normal at 09:44. No orders were lost, but around nine ' +
  'hundred customers saw a failed payment page and some retried more than once. Follow-ups: alert ' +
  'on pool saturation, and add a load test that replays the morning peak before each release.';

export const MEETING_NOTES =
  'Planning meeting notes. The team agreed to move the mobile release from the first to the third ' +
  'week of June so that the new onboarding flow can ship with it instead of in a later update. ' +
  'Design will deliver the final screens by Friday; engineering estimates eight working days to ' +
  'build and test them. The analytics events for the old flow will be kept for one more release so ' +
  'the two can be compared. Marketing asked for a firm date by the end of next week to book the ' +
  'launch campaign. Open question: whether the tablet layout is in scope; product will decide by ' +
  'Wednesday after reviewing how many active users are on tablets today.';

export const CUSTOMER_EMAIL =
  'Hello, I ordered a standing desk three weeks ago and it arrived on Tuesday, but the left leg is ' +
  'bent and the desk wobbles even on the lowest setting. I have photos of the box, which was also ' +
  'damaged on one corner, and of the leg itself. I would prefer a replacement leg rather than a ' +
  'whole new desk, since the rest of it is fine and it took two of us an hour to assemble. If a ' +
  'replacement part is not possible, please tell me how to return the desk and whether you will ' +
  'collect it, as I no longer have the original packaging. My order number is in the subject ' +
  'line. Thank you for your help, and I look forward to hearing from you soon.';

export const RELEASE_NOTES =
  'Release 4.2 adds dark mode to the dashboard, makes CSV exports up to three times faster for ' +
  'large projects, and fixes a bug where comments on archived tasks could not be edited. The ' +
  'public API gains a filter for tasks updated since a given time.';

/** Far too long for one call: the per-request cap refuses it before anything is sent. */
export const WHOLE_BOOK = Array.from({ length: 5 }, () => `${INCIDENT_REPORT} ${MEETING_NOTES} ${CUSTOMER_EMAIL}`).join('\n\n');

/** What the loopback model answers for each text (it answers the default sentence for others). */
export const SUMMARIES: ReadonlyMap<string, string> = new Map([
  [
    INCIDENT_REPORT,
    'A connection pool sized for the old database ran out at the morning peak, so about four percent of checkouts failed for ' +
      'half an hour. Traffic moved to the standby region, the pool was enlarged, and no orders were lost.',
  ],
  [
    MEETING_NOTES,
    'The mobile release moves to the third week of June so the new onboarding ships with it. Designs are due Friday, the build ' +
      'takes eight days, and marketing needs a firm date next week.',
  ],
  [
    CUSTOMER_EMAIL,
    'A customer received a standing desk with a bent leg and a damaged box. They want a replacement leg, or else instructions ' +
      'for returning the desk and whether it can be collected.',
  ],
  [RELEASE_NOTES, 'Release 4.2 brings dark mode, faster CSV exports, a fix for comments on archived tasks, and a new API filter.'],
]);
