"""Small UI modules of the Streamlit page (drawing only; the work happens in nst/)."""
