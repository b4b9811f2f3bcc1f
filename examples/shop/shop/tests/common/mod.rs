//! What every mode of the shop's end-to-end test shares.

/// The assertions of every mode: two orders placed and shipped, the declined card's error from
/// the payment service intact at the gateway, and each subscriber seeing each event once.
pub fn assert_outcome(outcome: &shop::Outcome) {
    assert_eq!(outcome.placed.len(), 2, "{outcome:?}");
    let (status, error) = &outcome.declined;
    assert_eq!(*status, 402, "{outcome:?}");
    assert_eq!(error["code"], "card_declined");
    assert_eq!(error["message"], "card …0002 was declined");
    for id in &outcome.placed {
        assert_eq!(
            outcome.notified["orders"][id], 1,
            "notified exactly once: {outcome:?}"
        );
        assert_eq!(
            outcome.stats["events"]["order_placed"][id], 1,
            "{outcome:?}"
        );
        assert_eq!(
            outcome.stats["events"]["order_shipped"][id], 1,
            "{outcome:?}"
        );
    }
}
