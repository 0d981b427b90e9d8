"""The course platforms: rosters as Canvas, Gradescope and Moodle export them, gradebooks they
import, a Gradescope autograder, and question banks for Moodle and PrairieLearn (issue 14)."""
