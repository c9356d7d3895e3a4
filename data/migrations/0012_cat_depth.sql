-- 0012_cat_depth.sql: CAT depth (issue 12): shifts, assessments, scopes, commitments, digest.
-- placeholder: numbering claimed for issue 12; tables follow in the next commit.
SELECT 1;
