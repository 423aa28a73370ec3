//! Ruby gemspecs and PHP Composer databases, one fixture folder per format variant.

mod packages_support;

mod packages_langs {
    use porthole_engine::packages::php::PhpDetector;
    use porthole_engine::packages::ruby::RubyDetector;
    use porthole_engine::packages::{DetectContext, Detector};

    use super::packages_support::*;

    #[test]
    fn ruby_cases_match_their_expected_lists() {
        assert_eq!(check_cases("ruby"), 1);
    }

    #[test]
    fn php_cases_match_their_expected_lists() {
        assert_eq!(check_cases("php"), 2);
    }

    #[test]
    fn wants_and_hostile_input() {
        assert!(RubyDetector.wants(
            "/var/lib/gems/3.1.0/specifications/rake-13.0.6.gemspec",
            0o644
        ));
        assert!(!RubyDetector.wants("/var/lib/gems/3.1.0/gems/rake-13.0.6/rake.gemspec", 0o644));
        assert!(PhpDetector.wants("/srv/vendor/composer/installed.json", 0o644));
        assert!(!PhpDetector.wants("/srv/composer.lock", 0o644));
        let ctx = DetectContext::default();
        assert!(
            PhpDetector
                .parse("/x/vendor/composer/installed.json", b"{not json", &ctx)
                .is_err()
        );
        assert!(
            PhpDetector
                .parse("/x/vendor/composer/installed.json", b"42", &ctx)
                .unwrap()
                .is_empty()
        );
        for junk in [
            &b"s.name = \"unterminated"[..],
            b"\xff\xfe",
            b"s.name=\ns.version=",
        ] {
            assert!(
                RubyDetector
                    .parse("/specifications/x.gemspec", junk, &ctx)
                    .unwrap()
                    .is_empty()
            );
        }
    }
}
