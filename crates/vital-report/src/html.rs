//! `vital report`: one self-contained HTML file.
